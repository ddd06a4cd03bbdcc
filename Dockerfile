# One image for the Rasa server and the action server (the command picks which).
FROM python:3.10-slim
WORKDIR /app
ENV PYTHONPATH=/app PYTHONUNBUFFERED=1 SQLALCHEMY_SILENCE_UBER_WARNING=1
COPY requirements/ requirements/
RUN pip install --no-cache-dir -r requirements/app.in -c requirements/constraints.txt
COPY . .
RUN python -m policy_kb check
EXPOSE 5005 5055
