"""Todo app backend: FastAPI, SQLAlchemy 2, Alembic."""

__version__ = "0.1.0"
