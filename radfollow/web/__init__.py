"""The review app: FastAPI + Jinja2 pages over the tracker (``radfollow serve``).

Pages call the tracker's query, review and worklog functions; the web layer
holds no SQL of its own, so the CLI and the page show the same numbers.
Templates and static files ship in the package (no CDN: hospitals run it
without internet). See docs/review-app.md.
"""
