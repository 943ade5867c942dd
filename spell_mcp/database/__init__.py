"""The bottom of the house: the database engine and its units of work (`engine`), the server's
own tables (`tables`), and the migrations of every package's tables (`migrations/`)."""
