"""Notices (job postings, job fairs, traineeship posts, policy updates, announcements), the
graduates' subscriptions to them, and broadcasts with one recorded delivery per recipient.

The tables live in the same database as the registration ledger (db/tables.py engine and
db/migrations.py, step 2); the push worker (push/) works the deliveries off."""
