/* The systemd watchdog. The loop feeds it; every wait and every network
 * step is bounded by a fraction of WatchdogSec, so that a server that does
 * not answer delays the next feed by less than half the interval. */
#ifndef PACTD_WATCHDOG_H
#define PACTD_WATCHDOG_H

/* Read WATCHDOG_USEC (sd_watchdog_enabled); without it nothing is bounded
 * beyond the defaults. */
void watchdog_init(void);

/* Say WATCHDOG=1, at most every sixteenth of the interval. */
void watchdog_feed(void);

/* The longest one wait may last: ms, or a quarter of the interval. */
int watchdog_wait_ms(int ms);

/* The longest one network step (connect, TLS, a read) may block: ms, or
 * an eighth of the interval, at least one second. */
long watchdog_io_ms(long ms);

#endif
