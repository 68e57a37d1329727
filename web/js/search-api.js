// The search API's parameter names and values, in one place (GET /ipdx/v1/patents/search).

// [value in the URL and the API, label]
export function sortOptions() {
  return [['relevance', 'Relevance'], ['dateDesc', 'Newest first'], ['dateAsc', 'Oldest first']];
}

export function searchParams({q, offset = 0, limit = 20, sort = 'relevance', facets = true}) {
  const usp = new URLSearchParams({q, offset: String(offset), limit: String(limit)});
  if (sort && sort !== 'relevance') usp.set('sort', sort);
  if (facets) usp.set('facets', 'true');
  return usp.toString();
}
