"""Every warning or error line the server logged during the soak must match an explanation here: what the
churn does on purpose (clients killed mid-stream, players of a stream that just ended, plugins toggled).
A line that matches none fails the run, and so does any `Fatal error`."""
import re

EXPLAINED = [
    (r"web console files not found", "the console is not bundled in a build tree"),
    (r"\] (pull|push) .* giving up after 1 failed attempts \(retry_count 0\)",
     "a pull or push (retry_count 0) whose stream's publisher left: the soak's publishers vanish on purpose"),
    (r"\[srt\] libsrt (epoll_remove_usock: : remove_usock: @\d+ not found|update_events: : epoll/update: IPE: update struck E\d+ which is NOT SUBSCRIBED)",
     "libsrt's own race (Haivision/srt#1370): its garbage collector retired a broken socket between the plugin's "
     "state check and its epoll removal (SrtPoller.remove); harmless, the socket is gone either way"),
]


def check(log_text):
    """(counts per explanation, unexplained lines, fatal lines)."""
    counts, unexplained, fatal = {}, [], []
    for line in log_text.splitlines():
        if "Fatal error" in line or "SIGSEGV" in line:
            fatal.append(line)
        if not re.search(r" (WARNING|ERROR|CRITICAL) ", line):
            continue
        for pattern, why in EXPLAINED:
            if re.search(pattern, line):
                counts[why] = counts.get(why, 0) + 1
                break
        else:
            unexplained.append(line)
    return counts, unexplained, fatal
