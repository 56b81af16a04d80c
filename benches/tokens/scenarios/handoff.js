// Files the meeting transcript into the knowledge graph without reading it into the conversation.
const name = "Planning meeting 2026-10-28";
const file = await tools.files.read_text_file({ path: "/tmp/sluice-bench-tokens/docs/planning-meeting-2026-10-28.txt" });
const transcript = typeof file === "string" ? file : file.content;
await tools.memory.create_entities({ entities: [{ name, entityType: "meeting", observations: [transcript] }] });
const stored = await tools.memory.open_nodes({ names: [name] });
const saved = stored.entities.find((entity) => entity.name === name).observations[0];
console.log(JSON.stringify({ entity: name, characters: [...saved].length }));
