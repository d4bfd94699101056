# The RL Playground in a container: CPU-only torch, a non-root user, runs kept on a volume.
#   docker build -t rl-playground . && docker run -p 8501:8501 -v rl-runs:/data/runs rl-playground
# tests/test_deploy.py lints this file and replays its steps in a clean virtual environment.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    RUNS_DIR=/data/runs \
    MALLOC_MMAP_THRESHOLD_=65536
# MALLOC_MMAP_THRESHOLD_: large blocks go back to the system when freed, so a classroom's redraws do not
# fragment the server's heap (agents/runs/server_memory.py has the measurement).

WORKDIR /app
# Dependencies first, so a change to the code reuses this layer. requirements.txt names PyTorch's CPU index.
COPY requirements.txt .
RUN pip install -r requirements.txt

# The code belongs to root and is read-only for the app's user; only the runs folder is writable.
COPY . .
RUN useradd --create-home --uid 10001 --user-group playground \
    && mkdir -p /data/runs \
    && chown 10001:10001 /data/runs
USER 10001:10001
VOLUME ["/data/runs"]

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4)"]
CMD ["streamlit", "run", "app.py", "--server.address=0.0.0.0", "--server.port=8501"]
