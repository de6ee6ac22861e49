# Сообщения движка резервного копирования: подписи частей, результаты, тревоги.

part-caption = 📦 { $job } · часть { $index }{ $last ->
    [yes] /{ $index } (последняя)
   *[no] {""}
  } · { $size } · sha256 { $sha }
manifest-caption = 🧾 { $job } · манифест · частей: { $parts } · { $size }
    Восстановление: { $recipe }

run-success =
    ✅ Резервная копия готова: { $job }
    Файл: { $file }
    Размер: { $size } · частей: { $parts } · { $duration }
    sha256: { $sha }
    Проверено: { $verified ->
        [yes] да, прочитано обратно из Telegram
       *[no] нет
    }
run-failed =
    ❌ Резервное копирование НЕ УДАЛОСЬ: { $job }
    Запуск: #{ $run }
    Причина: { $reason }
run-interrupted =
    ⚠️ Резервное копирование прервано: { $job }
    Запуск: #{ $run }
    Причина: { $reason }

destination-probe = Проверка связи Tele-Backup: это сообщение сразу будет удалено.

alert-interrupted =
    ⚠️ Tele-Backup перезапущен после аварийной остановки. Эти запуски прерваны и так и записаны: { $runs }
alert-deadman =
    🚨 Нет успешной резервной копии { $job } с { $since }. Ожидалась хотя бы раз в { $interval }.
alert-recovered =
    ✅ { $job } снова копируется (последний успех { $at }).
