"""Every table (its current shape, as db/migrations.py makes it): the registration ledger's, the
notices', the handoff cases' and the unanswered questions'. Columns ending in _enc hold Fernet
ciphertext; columns ending in _hash hold keyed hashes (db/crypto.py). Nothing else holds a phone or
ID number; db/retention.py re-encrypts and purges them."""
from __future__ import annotations

from typing import List

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()

# the values of a degree column (a registration's, a notice's minimum), lowest first
DEGREES: List[str] = ["中专", "技校", "专科", "本科", "硕士", "博士"]

registrations = Table(
    "registrations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("ref", String(20), nullable=False, unique=True),
    Column("channel", String(16), nullable=False),
    # the channel identity that made the record (wx:<openid>, tg:<chat>, web:<hash of the session>); NULL once deleted
    Column("identity", String(200), unique=True),
    Column("name_enc", Text),
    Column("phone_enc", Text),
    Column("phone_hash", String(64), unique=True),
    Column("id_enc", Text),
    Column("id_hash", String(64), unique=True),
    Column("school", String(100)),
    Column("major", String(100)),
    Column("degree", String(8)),
    Column("grad_year", Integer),
    Column("birth_year", Integer),
    Column("district", String(32)),
    Column("status", String(16)),
    Column("intention", String(100)),
    Column("preferred_districts", String(400)),
    Column("services", String(100)),
    Column("difficulty", Boolean, nullable=False, default=False),
    Column("difficulty_kind", String(32)),
    Column("consent_version", String(16)),
    Column("consented_at", DateTime(timezone=True)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("deleted_at", DateTime(timezone=True)),
    # 'chat': the graduate registered in chat; 'import': handed over on the education commission's
    # list (五（一）), identity NULL until the graduate registers in chat and is joined to it
    Column("source", String(8), nullable=False, default="chat", server_default="chat"),
    Column("import_batch_id", Integer),
    # the handed-over list's entry (name, numbers, school … as the list gave them; Fernet JSON): what
    # stays when a graduate joined to it deletes their chat registration (importer.py)
    Column("listed_enc", Text),
)

import_batches = Table(
    "import_batches",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("filename", String(200), nullable=False),
    Column("staff", String(64), nullable=False),
    Column("total", Integer, nullable=False),
    Column("added", Integer, nullable=False),
    Column("matched", Integer, nullable=False),
    Column("rejected", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("duplicates", Integer, nullable=False, default=0, server_default="0"),  # rows repeated within the file
    Column("district", String(32)),  # a district staff member's import; NULL: city-wide
)

# code → label of how staff tried to reach a graduate, and of the status they learned (五（八）)
CONTACT_METHODS = {"phone": "电话", "visit": "走访", "message": "短信/微信", "data": "数据比对"}
CONTACT_STATUSES = {"employed": "已就业", "seeking": "求职中", "study": "升学/出国", "no_wish": "暂无就业意愿",
                    "startup": "自主创业"}

# a chat registration's own answer (fields.STATUSES) as a contact status, until staff learn one:
# 灵活就业 counts as seeking, since ledger/followup.py still owes them the services (so the report,
# the contact lists and `ledger status --owed` agree)
CHAT_STATUSES = {"未就业": "seeking", "灵活就业": "seeking", "已就业": "employed", "暂无就业意愿": "no_wish"}

contacts = Table(
    "contacts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("registration_id", Integer, ForeignKey("registrations.id"), nullable=False),
    Column("contact_date", Date, nullable=False),
    Column("method", String(16), nullable=False),
    Column("reached", Boolean, nullable=False),
    Column("status", String(16)),
    Column("next_follow_up", Date),
    Column("note_enc", Text),
    Column("staff", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

follow_ups = Table(
    "follow_ups",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("registration_id", Integer, ForeignKey("registrations.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),
    Column("service_date", Date, nullable=False),
    Column("note", Text),
    Column("staff", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

drafts = Table(
    "drafts",
    metadata,
    Column("identity", String(200), primary_key=True),
    Column("data_enc", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(64), nullable=False),
    Column("action", String(32), nullable=False),
    Column("detail", Text, nullable=False),
)

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("name", String(100), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)


# ---- notices
# The notice tables, as db/migrations.py step 2 creates them.
notices = Table(
    "notices", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("body", Text, nullable=False),
    Column("district", String(32)),
    Column("industry", String(64)),
    Column("degree", String(8)),
    Column("event_date", Date),
    Column("event_time", String(32)),
    Column("place", String(200)),
    Column("online_link", String(500)),
    Column("organiser", String(200)),
    Column("valid_from", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True)),
)

subscriptions = Table(
    "subscriptions", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("identity", String(200), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("districts", String(400)),
    Column("industries", String(400)),
    Column("degree", String(8)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("identity", "kind"),
)

recipients = Table(
    "recipients", metadata,
    Column("identity", String(200), primary_key=True),
    Column("channel", String(16), nullable=False),
    Column("inactive", String(16)),  # blocked | unsubscribed
    Column("inactive_at", DateTime(timezone=True)),
)

broadcasts = Table(
    "broadcasts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("notice_id", Integer, ForeignKey("notices.id"), nullable=False),
    Column("audience", Text, nullable=False),
    Column("status", String(24), nullable=False),
    Column("scheduled_at", DateTime(timezone=True)),
    Column("created_by", String(64), nullable=False),
    Column("approved_by", String(64)),
    Column("total", Integer, nullable=False, default=0),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("started_at", DateTime(timezone=True)),
    Column("finished_at", DateTime(timezone=True)),
)

deliveries = Table(
    "deliveries", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("broadcast_id", Integer, ForeignKey("broadcasts.id"), nullable=False),
    Column("identity", String(200), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("purpose", String(16), nullable=False),  # subscription | recommendation (counts as 岗位推介) | test
    Column("status", String(16), nullable=False),  # pending | sending | sent | failed | blocked | skipped | unknown
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", String(200)),
    Column("next_attempt_at", DateTime(timezone=True)),
    Column("sent_at", DateTime(timezone=True)),
    UniqueConstraint("broadcast_id", "identity"),
)

# ---- handoff
# The handoff tables, as db/migrations.py step 4 creates them. Message texts are Fernet
# ciphertext (the ledger's keys): a graduate's own words about their situation stay encrypted at rest.
handoffs = Table(
    "handoffs", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("identity", String(200), nullable=False),  # wx:<openid>, tg:<chat>, web:<hash of the session>
    Column("channel", String(16), nullable=False),
    Column("district", String(32)),  # from the graduate's registration, when there is one
    Column("status", String(16), nullable=False),  # open | closed
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("last_inbound_at", DateTime(timezone=True), nullable=False),  # the graduate's latest message
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("claimed_by", String(64)),
    Column("closed_at", DateTime(timezone=True)),
    Column("closed_by", String(64)),  # a staff username, `graduate` or `expired`
)

handoff_messages = Table(
    "handoff_messages", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("handoff_id", Integer, ForeignKey("handoffs.id"), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("author", String(16), nullable=False),  # graduate | assistant | staff | system
    Column("staff", String(64)),
    Column("text_enc", Text, nullable=False),
    # messages to the graduate (staff, system): pending → sending → sent | failed | skipped | unknown
    Column("delivery", String(16)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("lease_until", DateTime(timezone=True)),
    Column("last_error", String(200)),
    Column("sent_at", DateTime(timezone=True)),
)

# ---- unanswered
# The unanswered-questions table, as db/migrations.py steps 4 and 5 make it.
unanswered_questions = Table(
    "unanswered_questions", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("channel", String(16), nullable=False),  # wx | tg | web | … (never who asked)
    Column("district", String(32)),  # the asker's registered district (console scope); NULL: not registered
    Column("text_hash", String(64), nullable=False),  # keyed hash of the normalised text: groups repeats
    Column("text_enc", Text, nullable=False),  # the question, phone/ID numbers masked, encrypted
    Column("reason", String(16), nullable=False),  # unclear | out_of_scope | gave_up
    Column("guess", String(64)),  # the NLU's best intent, for context
    Column("confidence", Float),
    Column("resolved_at", DateTime(timezone=True)),
    Column("resolved_by", String(64)),
    Column("resolution", String(16)),  # added (to the knowledge base) | ignored
)


# ---- console
# Staff accounts and sessions of the console, as db/migrations.py step 3 creates them.
staff_users = Table(
    "staff_users", metadata,
    Column("username", String(64), primary_key=True),
    Column("password_hash", String(200), nullable=False),  # passwords.hash_password
    Column("role", String(16), nullable=False),  # city | district
    Column("district", String(32)),  # district staff only
    Column("identity", String(200)),  # their own chat (tg:123) for "send a test to myself"
    Column("failed_logins", Integer, nullable=False, default=0),  # unused since the lock gave way to
    Column("locked_until", DateTime(timezone=True)),  # the in-memory throttle (throttle.py)
    Column("created_at", DateTime(timezone=True), nullable=False),
)

staff_sessions = Table(
    "staff_sessions", metadata,
    Column("id", String(64), primary_key=True),  # SHA-256 of the cookie value, never the value
    Column("username", String(64), ForeignKey("staff_users.username"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
