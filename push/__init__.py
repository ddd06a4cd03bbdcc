"""The push worker: sends broadcasts (notices/) to graduates on Telegram and WeChat.

`python -m push` runs one worker; start as many as needed, they share the work. Modules:
config (settings), app (wiring), worker (scheduler, reconciler, consumers), book (the database
side), queue (hand-out of delivery ids), limits (Telegram flood limits, WeChat template quota),
render (notice → text), telegram / wechat (one sender per channel), outcome.

Why Redis Streams and not a task-queue library (Celery, RQ, arq, Dramatiq):
- the database is the record. NoticeStore.fan_out writes one `pending` row per recipient, and
  every change of a delivery is a guarded UPDATE; the queue only carries delivery ids, so it
  needs no result backend, no task serialisation and no retry machinery of its own;
- a consumer group hands each message to one worker at a time and keeps it in the pending list
  until acknowledged (at-least-once); XAUTOCLAIM takes over a dead worker's messages; a message
  handed out twice is harmless, because sending starts with an atomic claim of the row;
- if Redis loses the stream (it keeps nothing on disk here), the reconciler enqueues again what
  the database says is still owed; a task library would lose its tasks just the same, and its
  own bookkeeping would then disagree with the database;
- no extra dependency: redis 4.6 (redis.asyncio) is pinned already, and the limits (a Lua
  sliding window, SET NX PX per chat) live in the same Redis.
Without REDIS_URL the worker uses an in-process asyncio queue and in-process limits (the
embedded default: one worker).

Delivery guarantees: nothing is sent twice (a delivery left `sending` by a killed worker becomes
`unknown`, never resent) and nothing owed is lost (`pending` rows are enqueued again until they
are sent, failed, blocked or skipped). Telegram never gets more than 30 messages in any second
nor two to one chat within a second, counted from when Telegram can have received them
(limits.py).
"""
