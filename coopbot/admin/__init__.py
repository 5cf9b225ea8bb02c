"""Staff-side services (accounts, review queue, dashboard figures); the HTTP views live in bot/."""
