// Reading a signed checkpoint note (C2SP signed-note + tlog-checkpoint, docs/formats/ledger.md):
// the text lines (origin, tree size, root hash) and the names on the signature lines ("— name sig").
// Signatures are not verified here: `ipdx verify` does that offline with the receipt.

export function parseCheckpointNote(note) {
  const text = String(note || '');
  const split = text.indexOf('\n\n');
  const body = (split < 0 ? text : text.slice(0, split)).split('\n');
  const sigLines = split < 0 ? [] : text.slice(split + 2).split('\n').filter((l) => l.startsWith('— '));
  const signers = [];
  for (const line of sigLines) {
    const name = line.slice(2).split(' ')[0];
    if (name && !signers.includes(name)) signers.push(name);
  }
  return {origin: body[0] || '', treeSize: Number(body[1]) || 0, rootHash: body[2] || '', signers};
}
