// Differences between two record versions, member by member: the record JSON is flattened to
// paths ("claims[0].claims[3]", "applicants[1].name") and the values compared.

export function flatten(value, prefix = '', out = new Map()) {
  if (Array.isArray(value)) {
    if (value.length === 0 && prefix) out.set(prefix, '[]');
    value.forEach((v, i) => flatten(v, `${prefix}[${i}]`, out));
  } else if (value && typeof value === 'object') {
    const keys = Object.keys(value);
    if (keys.length === 0 && prefix) out.set(prefix, '{}');
    for (const k of keys) flatten(value[k], prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, value === null || value === undefined ? '' : String(value));
  }
  return out;
}

// [{path, before, after, change: 'changed' | 'added' | 'removed'}] in the order of the newer
// version, then members only the older one has.
export function diffRecords(older, newer) {
  const a = flatten(older);
  const b = flatten(newer);
  const out = [];
  for (const [path, after] of b) {
    if (!a.has(path)) out.push({path, before: '', after, change: 'added'});
    else if (a.get(path) !== after) out.push({path, before: a.get(path), after, change: 'changed'});
  }
  for (const [path, before] of a) {
    if (!b.has(path)) out.push({path, before, after: '', change: 'removed'});
  }
  return out;
}
