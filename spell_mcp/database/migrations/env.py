"""Alembic environment: runs on the connection `spell_mcp.database.engine.migrate` hands over."""

from alembic import context
from sqlmodel import SQLModel

# Imported for their side effect: they register the tables on SQLModel.metadata.
import billing.models  # noqa: F401
import registry.models  # noqa: F401
import spell_mcp.database.tables  # noqa: F401

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
