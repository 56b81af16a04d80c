// There is no network: fetch and friends say that tools are the way out.
for (const attempt of [() => fetch('https://example.com'), () => new WebSocket('wss://x'), () => new XMLHttpRequest()]) {
  try {
    attempt();
  } catch (error) {
    console.log(error.name, error.message.includes('tools.<server>.<tool>'));
  }
}
