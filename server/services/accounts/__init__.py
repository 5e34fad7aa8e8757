"""Who acts: dashboard ``users`` and their sign-in with lockout (``login``), device and
API bearer tokens (``devices``), and the ``audit`` log every admin and security action
goes to."""
