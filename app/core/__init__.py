"""The plumbing every area uses: configuration, database, mail, web, errors, i18n, clock,
logging, health, migrations and the CLI."""
