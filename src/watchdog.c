/* The systemd watchdog, fed from the loop and between mails. */
#include <stdint.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "watchdog.h"

static uint64_t interval_us;	/* 0: no watchdog */
static uint64_t last_us;

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

void
watchdog_init(void)
{
	uint64_t us = 0;

	interval_us = sd_watchdog_enabled(0, &us) > 0 ? us : 0;
	last_us = 0;
}

void
watchdog_feed(void)
{
	uint64_t now;

	if (interval_us == 0)
		return;
	now = now_us();
	if (last_us != 0 && now - last_us < interval_us / 16)
		return;
	sd_notify(0, "WATCHDOG=1");
	last_us = now;
}

int
watchdog_wait_ms(int ms)
{
	uint64_t cap = interval_us / 4 / 1000;

	if (interval_us == 0 || (ms >= 0 && (uint64_t)ms <= cap))
		return ms;
	return cap < 100 ? 100 : (int)cap;
}

long
watchdog_io_ms(long ms)
{
	uint64_t cap = interval_us / 8 / 1000;

	if (interval_us == 0 || (uint64_t)ms <= cap)
		return ms;
	return cap < 1000 ? 1000 : (long)cap;
}
