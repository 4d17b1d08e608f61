# The varlib dashboard. Built by docker-compose.yml; runs with any S3 store set in the environment.
FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt
COPY varlib/ varlib/
COPY ui/ ui/
COPY pages/ pages/
COPY app.py .
COPY .streamlit/config.toml .streamlit/config.toml
RUN useradd --create-home --uid 10001 varlib
USER varlib
EXPOSE 8501
CMD ["streamlit", "run", "app.py", "--server.address", "0.0.0.0", "--server.port", "8501"]
