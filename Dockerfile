# One image for every process of ours; the command picks which (docker-compose.yml): the Rasa
# server, the action server, the gateway, the push worker, the staff console.
# The trained model is built in, so every replica runs the code it was trained with:
# `make model` before `docker compose build` (the build stops, saying so, without it).
FROM python:3.10-slim
WORKDIR /app
ENV PYTHONPATH=/app PYTHONUNBUFFERED=1 SQLALCHEMY_SILENCE_UBER_WARNING=1 TF_CPP_MIN_LOG_LEVEL=2 \
    RASA_TELEMETRY_ENABLED=false
COPY requirements/ requirements/
RUN pip install --no-cache-dir -r requirements/app.in -c requirements/constraints.txt
COPY . .
RUN test -f models/current.tar.gz \
      || { echo "models/current.tar.gz is missing: run 'make model' before 'docker compose build'" >&2; exit 1; } \
 && python -m policy_kb check \
 && useradd --system --create-home --uid 10001 assistant
# nothing of ours writes inside /app: the ledger is in PostgreSQL, the knowledge base is mounted
USER assistant
EXPOSE 5005 5055 8080 8090
