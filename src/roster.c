/* Looking senders up in the roster. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "roster.h"
#include "util.h"

const char *
roster_party_name(const struct config *c, const char *id)
{
	for (size_t i = 0; id != NULL && i < c->roster.nparties; i++)
		if (strcmp(c->roster.parties[i].id, id) == 0)
			return c->roster.parties[i].name;
	return id;
}

const char *
role_name(enum role r)
{
	static const char *const names[] = { "none", "delegate", "associate",
	    "advisory", "secretariat" };

	return names[r];
}

const char *
role_title(enum role r, const char *lang)
{
	static const char *const da[] = { "ingen", "delegeret for en stiftende "
	    "part", "kontakt for et associeret medlem", "medlem af advisory "
	    "board", "sekretariatet" };
	static const char *const en[] = { "none", "delegate of a founding "
	    "party", "contact of an associate member", "advisory board member",
	    "secretariat" };

	return strcmp(lang, "en") == 0 ? en[r] : da[r];
}

static const struct person *
group_find(const struct person *v, size_t n, const char *addr)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(v[i].addr, addr) == 0)
			return &v[i];
	return NULL;
}

/* Active associate members' contacts live in the database: 1 when addr
 * is one, 0, or -1 with *cause. */
static int
roster_associate(struct store *s, const char *addr, struct sender *who,
    char **cause)
{
	sqlite3_stmt *st;
	int found;

	if (s == NULL)
		return 0;
	if (sqlite3_prepare_v2(s->db, "SELECT ref, organisation, contact_name "
	    "FROM associates WHERE contact_addr = ? AND state = 'active'", -1,
	    &st, NULL) != SQLITE_OK)
		return 0;	/* no such table yet */
	sqlite3_bind_text(st, 1, addr, -1, SQLITE_STATIC);
	if ((found = store_row(st, cause)) > 0) {
		who->associate_ref = store_col(st, 0);
		who->org = store_col(st, 1);
		if (sqlite3_column_type(st, 2) != SQLITE_NULL)
			who->name = store_col(st, 2);
	}
	store_done(st);
	return found;
}

int
roster_lookup(const struct config *c, struct store *s, const char *addr,
    struct sender *who, char **cause)
{
	const struct roster *r = &c->roster;
	const struct person *p;
	int found;

	memset(who, 0, sizeof *who);
	who->addr = addr;
	if (addr == NULL)
		return 0;
	for (size_t i = 0; i < r->nparties; i++) {
		const struct party *pt = &r->parties[i];

		if ((p = group_find(pt->delegates, pt->ndelegates, addr))) {
			who->role = ROLE_DELEGATE;
			who->party = pt;
			who->org = xstrdup(pt->name);
			who->name = p->name ? xstrdup(p->name) : NULL;
			who->lang = pt->lang;
			return 0;
		}
	}
	if ((p = group_find(r->secretariat.members, r->secretariat.nmembers,
	    addr))) {
		who->role = ROLE_SECRETARIAT;
		who->org = r->secretariat.name ? xstrdup(r->secretariat.name) :
		    NULL;
		who->name = p->name ? xstrdup(p->name) : NULL;
		who->lang = r->secretariat.lang;
		return 0;
	}
	if ((p = group_find(r->advisory.members, r->advisory.nmembers, addr))) {
		who->role = ROLE_ADVISORY;
		who->org = r->advisory.name ? xstrdup(r->advisory.name) : NULL;
		who->name = p->name ? xstrdup(p->name) : NULL;
		who->lang = r->advisory.lang;
		return 0;
	}
	if ((found = roster_associate(s, addr, who, cause)) > 0)
		who->role = ROLE_ASSOCIATE;
	return found < 0 ? -1 : 0;
}

void
sender_free(struct sender *who)
{
	free(who->name);
	free(who->org);
	free(who->associate_ref);
	memset(who, 0, sizeof *who);
}
