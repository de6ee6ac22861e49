# The schedule step's hour picker (src/bot/schedule-step.ts)
schedule-pick-hour = At what time should it run? Times are in { $tz }. You can also send the time with the preset in one message, e.g. "daily 04:30".
