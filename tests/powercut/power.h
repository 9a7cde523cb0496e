/* The power cut shared by the crash VFS (SQLite's files) and cutfs (plain
 * files): one lock, one count of sync and write points, one cut. Test
 * code only: built into build/powercut.so, which LD_PRELOAD puts into a
 * pactd that the powercut driver starts; pactd itself has none of it. */
#ifndef PACTD_POWER_H
#define PACTD_POWER_H

#include <sqlite3.h>

/* pactd's exit status when the shim cut its power. */
#define POWER_EXIT	86

/* Set while this thread is inside the crash VFS or the cut: cutfs lets
 * SQLite's own opens, writes and syncs through untracked. */
extern __thread int power_inside;

/* Every tracked write and sync holds the lock, so that a cut from the
 * timer thread sees no half-recorded write. */
void	power_lock(void);
void	power_unlock(void);

/* A sync point (sync 1) or a write point (sync 0), counted before it
 * happens: at the chosen one the power goes, and this never returns. */
void	power_point(int sync);

/* The crash VFS: register it as the default; drop (tear 0) or tear (1)
 * every write to SQLite's files since their last sync. */
int	crashvfs_register(void);
void	crashvfs_cut(int tear);

/* cutfs: watch the directories in the colon-separated list; undo the
 * plain-file writes and directory changes that were not fsynced. */
void	cutfs_init(const char *dirs);
void	cutfs_cut(void);

#endif
