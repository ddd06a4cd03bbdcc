"""The staff web console of the Beijing human-resources bureau: compose and publish notices,
broadcast them (test to oneself, now or scheduled; city-wide ones approved by a second city staff
member), follow a broadcast's progress and read its delivery report, and work the registration
ledger (district-scoped, masked, follow-ups, exports). Served by `python -m console`.

One page (static/page.html + static/app.js, hash routes) talks JSON to the API under /console/api:

  POST /login  /logout            GET /me (the staff member, their CSRF token, the lists to pick from)
  GET  /notices                   POST /notices (compose → published)
  GET  /notices/{id}              the notice, its audience count and broadcasts
  POST /notices/{id}/broadcasts   {"mode": "test" | "now" | "schedule", "scheduled_at"}
  POST /notices/{id}/withdraw
  GET  /broadcasts[?status=]      GET /broadcasts/{id} (progress and report)
  POST /broadcasts/{id}/approve   POST /broadcasts/{id}/cancel
  GET  /ledger[?filters]          POST /ledger/{ref}/follow-ups    POST /export

Security: staff log in with a password (Argon2id, per-user salt). No account is ever locked: after
5 failures of one name from one address, each next attempt of that pair waits 1, 2, 4 … seconds
(429 with Retry-After), known and unknown names alike, and every failure slows the next attempts
from the same address; X-Forwarded-For counts only from FORWARDED_ALLOW_IPS. The
session is an HttpOnly, SameSite=Strict cookie; each state-changing call also needs the session's
CSRF token in X-CSRF-Token and a JSON body. District staff see and act on their own district
only. Publications, broadcasts, approvals, cancels, exports and follow-ups go to the audit log.

Errors: ConsoleConfigError (a setting, named), StaffError (an account), PasswordError (a password),
ApiError (a refused API call, answered as {"error": "<Chinese message>"} with its status).
"""
