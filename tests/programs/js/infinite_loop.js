// Hostile: never returns.
while (true) {}
