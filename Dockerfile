# sohoa: one image for the API (`sohoa serve`) and the worker (`sohoa worker`).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    OMP_THREAD_LIMIT=1 \
    SOHOA_DATA_DIR=/var/lib/sohoa

# Tesseract with Vietnamese, poppler (pdftoppm/pdftotext/pdfsig), fonts with Vietnamese glyphs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng tesseract-ocr-osd \
      poppler-utils fonts-noto-core libnss3-tools \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY pyproject.toml README.md ./
COPY core ./core
COPY pipeline ./pipeline
COPY ocr ./ocr
COPY signing ./signing
COPY storage ./storage
COPY workers ./workers
COPY api ./api
COPY web ./web
COPY cli ./cli
RUN pip install --no-deps . \
 && useradd --system --uid 10001 --home-dir /var/lib/sohoa --create-home sohoa

USER sohoa
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
CMD ["sohoa", "serve", "--host", "0.0.0.0", "--port", "8000"]
