// Hostile: prints forever.
while (true) console.log("flood flood flood flood");
