/* pactd.conf and roster.conf (SPEC section 8). */
#ifndef PACTD_CONFIG_H
#define PACTD_CONFIG_H

#include <stddef.h>

#include "util.h"

enum majority { MAJORITY_SIMPLE, MAJORITY_ABSOLUTE };
enum vote_auth { VOTE_AUTH_TOKEN, VOTE_AUTH_DMARC, VOTE_AUTH_TOKEN_DMARC };
enum sender_auth { SENDER_AUTH_FROM, SENDER_AUTH_DMARC };
enum auth { AUTH_PASSWORD, AUTH_OAUTH2 };
enum grant { GRANT_CLIENT_CREDENTIALS, GRANT_REFRESH_TOKEN, GRANT_COMMAND };

struct person {
	char *name;		/* display name or NULL */
	char *addr;		/* lower case */
};

struct party {
	char *id;		/* "DI" from [party DI] */
	char *name;
	char *lang;		/* NULL: default_language */
	struct person *delegates;
	size_t ndelegates;
	int line;
};

struct group {
	char *name;
	char *lang;
	struct person *members;
	size_t nmembers;
};

struct roster {
	struct party *parties;
	size_t nparties;
	struct group advisory;
	struct group secretariat;
};

struct config {
	char *path;

	char *name;
	char *address;
	char *subaddress_separator;
	char *default_language;
	char *timezone;
	char *database;
	char *roster_path;
	char *templates;

	char *imap_url;
	int imap_starttls;
	char *imap_user;
	char *imap_password_file;
	char *imap_ca_file;
	char *imap_mailbox;
	int imap_idle;
	int poll_interval;
	int imap_auth;		/* enum auth */

	char *smtp_url;
	int smtp_starttls;
	char *smtp_user;
	char *smtp_password_file;
	char *smtp_ca_file;
	char *smtp_from;
	int smtp_auth;		/* enum auth */

	char *folder_processed;
	char *folder_rejected;
	char *folder_quarantine;
	char *folder_ignored;

	int majority;
	int quorum;
	int voting_days;
	int reminder_days;
	int consultation_days;

	int cadence_months;
	int default_duration_minutes;
	int invite_advisory_board;

	int sender_auth;	/* enum sender_auth */
	int vote_auth;
	char *trusted_authserv_id;
	int max_message_bytes;
	int reply_rate_per_hour;
	int outbox_retention_days;
	char *audit_key_file;	/* "" when the chain is a plain hash chain */

	char *output_dir;
	char *base_url;
	char *publish_url;	/* "" when the page is not uploaded */
	char *publish_user;
	char *publish_password_file;

	char *draft_date;	/* "MM-DD" */

	int oauth2_grant;	/* enum grant */
	char *oauth2_token_url;
	char *oauth2_client_id;
	char *oauth2_client_secret_file;
	char *oauth2_client_certificate_file;
	char *oauth2_client_key_file;
	char *oauth2_scope;
	char *oauth2_refresh_token_file;
	char *oauth2_token_command;

	char *imap_password;	/* read by config_load_secrets */
	char *smtp_password;

	struct roster roster;
};

/* Load both files. Returns NULL and fills errors ("file:line: reason")
 * when anything is wrong. */
struct config *config_load(const char *path, struct strv *errors);
void config_free(struct config *);

/* Read the two passwords (with secret_read) when a user is set. */
int config_load_secrets(struct config *, struct strv *errors,
    struct strv *warnings);

#define SECRET_MAX	65536	/* bytes in a secret file */

/*
 * Read a secret (a password, client secret, token or key): the whole of
 * $CREDENTIALS_DIRECTORY/cred when systemd passes that credential, else of
 * file; line ends at its end are removed. A file that others can read or
 * write (S_IROTH, S_IWOTH) is refused with its name and the fix (chmod
 * 600): a configuration error, pactd does not start. systemd's credentials
 * are exempt, it owns their modes. Returns 0 with *out to wipe
 * (explicit_bzero) and free, or -1 with "file: reason" added to errors.
 * warnings (may be NULL) gets a file that its group can write.
 */
int secret_read(const char *cred, const char *file, char **out,
    struct strv *errors, struct strv *warnings);

/* The audit chain's HMAC key: the credential audit-key, else
 * [security] audit_key_file; *key NULL when none is set. 0, or -1 with
 * *cause (unreadable, readable by others, shorter than 16 bytes). */
int config_audit_key(const struct config *, unsigned char **key,
    size_t *len, char **cause);

/* Parse "Name <addr>" or "addr"; returns 0 when valid. */
int person_parse(const char *, struct person *);
void person_free(struct person *);
int addr_valid(const char *);

/* Print every key with its default, for the man page and --help. */
void config_dump_defaults(void);

#endif
