"""The dashboard's server side: the Next.js static export in `web/` served at `/`, each page
with a Content-Security-Policy that allows exactly its own inline scripts (`files`)."""
