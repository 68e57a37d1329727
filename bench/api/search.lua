-- bench/api/search.lua: wrk script for the ipdx-search target of bench/run-api.
-- Every request takes the next query of a fixed list (words and fields from the titles,
-- abstracts and classifications of data/sample/), so the server sees a realistic mix of fielded,
-- boolean, phrase, prefix and free-text searches instead of one query repeated; each wrk thread
-- starts at a different place in the list. The path prefix comes from the URL given to wrk.

local queries = {
  'ti:(motor OR vehicle OR tractor)',
  'composition AND method',
  'fuel',
  '"image forming"',
  'ti:apparatus AND manufacturing',
  'brennkraftmaschinen',
  'peptides OR antibody',
  'ipc:A61K',
  'screw OR closure',
  'braking system vehicle',
  'catheter NEAR/5 handle',
  'polymer* radiopaque',
  'ti:method NOT apparatus',
  'agricultural seed distributor',
  'battery powered torch',
  'derivatives AND preparation',
  'high voltage assembly',
  'stent web structure',
  'ipc:F02M OR ipc:F02P',
  'multimedia tuners',
}

local counter = 0
local thread_count = 0

function setup(thread)
  thread:set("start", thread_count * 7)
  thread_count = thread_count + 1
end

local function encode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

request = function()
  local q = queries[((start or 0) + counter) % #queries + 1]
  counter = counter + 1
  return wrk.format("GET", wrk.path .. "?q=" .. encode(q))
end
