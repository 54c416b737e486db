"""Email over SMTP with aiosmtplib: STARTTLS or SSL, authentication, multipart text and HTML."""
