# Calm alerts (issue 13, item 4): one message per chat for a failure that repeats, edited with the count.

alert-still-failing =
    ❌ { $job } is still failing: { $count } times in a row since { $since }
    Latest run: #{ $run }
    Reason: { $reason }
alert-recovered-run = ✅ { $job } recovered after { $count } { $count ->
        [one] failure
       *[other] failures
    } since { $since }.
alert-btn-card = 🗂 Job card
alert-btn-run = ▶ Run now
alert-btn-disable = ⏸ Disable
alert-disabled-toast = Disabled: { $job } will not run on its schedule until you enable it on its card.
alert-already-disabled-toast = { $job } is already disabled.
