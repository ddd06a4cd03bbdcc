"""Runners of the whole stack on one machine: `make run` (local, with the terminal chat),
`make run-cluster` (cluster), the processes the tests start (stack) and the REST client they share
(rasa_client)."""
