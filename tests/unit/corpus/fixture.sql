-- The state tests/unit/test_corpus.c puts in a new database before each
-- mail of tests/data/ is processed, the clock at 2026-12-01T10:00:00Z
-- (1796119200): what the mails answer must exist, with known tokens and
-- Message-IDs, so that each decision is the same on every run.

-- A nomination from DI and its open ballot (opened 2026-11-26, deadline
-- 2026-12-10), with a vote token for DI and one for Forsikring & Pension.
INSERT INTO refseq(year, last) VALUES(2026, 7);
INSERT INTO nominations(ref, party, organisation, type, cvr, contact_name,
    contact_addr, dialogue, initiatives, fit, sender, submitted)
  VALUES('PAGT-2026-0007', 'DI', 'Eksempel ApS', 'company', '10000009',
    'Karen Vinther', 'karen@eksempel.example.test', '2026-11-02',
    'Sikkerhedstjek for kunder', 'Formål 1', 'anne@di.example.test',
    1795683600);
INSERT INTO ballots(ref, opened, deadline)
  VALUES('PAGT-2026-0007', 1795683600, 1796893200);
INSERT INTO tokens(token, kind, ref, party, addr)
  VALUES('x66s2o4a2qpoastvjtboqbjb55', 'v', 'PAGT-2026-0007', 'DI', NULL),
        ('sotxq2fw73lscsfaxp7jttu55e', 'v', 'PAGT-2026-0007', 'FP', NULL);

-- The ballot mails that tests/data/bounce.eml and tests/data/bounces/
-- return: the outbox rows (ID, tag, Message-ID, recipient) they name.
INSERT INTO outbox(id, message_id, rcpt, kind, ref, subject, data, state,
    next_try, created, sent_at, bounce_tag, auto_reply)
  VALUES
  (7, 'v-ohbvrp4ztqbkmnuwsa3dsmn7.PAGT-2026-0007.1@example.test',
   'ole@forsikringogpension.example.test', 'ballot', 'PAGT-2026-0007',
   '[PAGT-2026-0007] Afstemning', X'', 'sent', 1795683600, 1795683600,
   1795683600, 'k2v4m6q8s3ta', 0),
  (9, 'v-m4nb7vc2xz5lk3jh6gf8ds9aq.PAGT-2026-0007.1@example.test',
   'sofie@itb.example.test', 'ballot', 'PAGT-2026-0007',
   '[PAGT-2026-0007] Afstemning', X'', 'sent', 1795683600, 1795683600,
   1795683600, 'r5t7y9u2i4o6', 0),
  (12, 'v-q3zk7m2xw5rtnb4yca6dhe8fuj.PAGT-2026-0007.1@example.test',
   'mads@hk.example.test', 'ballot', 'PAGT-2026-0007',
   '[PAGT-2026-0007] Afstemning', X'', 'sent', 1795683600, 1795683600,
   1795683600, 'p7rt3wz5x2qa', 0),
  (15, 'v-w2e4r6t8y3u5i7o9p2a4s6d8f.PAGT-2026-0007.1@example.test',
   'pia@smvdanmark.example.test', 'ballot', 'PAGT-2026-0007',
   '[PAGT-2026-0007] Afstemning', X'', 'sent', 1795683600, 1795683600,
   1795683600, 'h5j7k9m2n4pq', 0),
  (21, 'v-a7s9d2f4g6h8j3k5l7z9x2c4v.PAGT-2026-0007.1@example.test',
   'anne@di.example.test', 'ballot', 'PAGT-2026-0007',
   '[PAGT-2026-0007] Afstemning', X'', 'sent', 1795683600, 1795683600,
   1795683600, 'c3d5f7g9h2j4', 0);

-- A meeting on 2027-06-10 10:00-13:00 Copenhagen time, called on
-- 2026-11-20, with the UID tests/data/rsvp/ answers; Jens Kjær (Dansk
-- Erhverv) and Anne Holm (DI) invited, neither has answered yet.
INSERT INTO meetings(ref, uid, title, start, end, location, state,
    sequence, created)
  VALUES('PAGT-2026-0001', 'PAGT-2026-0001-x@example.test',
    'Summer meeting', 1812614400, 1812625200, 'Erhvervsstyrelsen, Langelinie Allé 17',
    'scheduled', 1, 1795165200);
INSERT INTO attendees(ref, addr, name)
  VALUES('PAGT-2026-0001', 'jens@danskerhverv.example.test', 'Jens Kjær'),
        ('PAGT-2026-0001', 'anne@di.example.test', 'Anne Holm');
