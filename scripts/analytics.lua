-- analytics.lua: counts events per type and posts per author, as metrics.
--
-- On /metrics as fanout_plugin_counter_total{plugin="analytics",name="..."}
-- (and fanout_plugin_gauge for gauges), with these names:
--   events_total                   every event handled
--   events_<EventType>             one counter per event type
--   posts_by_<author>              PostCreatedEvent per author (the first max_authors authors)
--   posts_by_other_authors         PostCreatedEvent of authors past that limit
--   comments_total, likes_total
--   authors_tracked                gauge: distinct authors with their own counter
--   last_event_age_seconds         gauge: now - occurredAt of the last event of the last batch
--
-- Counts are at least once: an event redelivered after a failure or a crash
-- is counted again. Good for dashboards, not for billing.
--
-- config:
--   - name: analytics
--     type: lua
--     path: scripts/analytics.lua
--     topics: [post-events]
--     options: { max_authors: 500 }

local max_authors = 500
local authors = {}        -- author -> true, for those with their own counter
local author_count = 0

function init(options)
  if options.max_authors ~= nil then
    assert(math.type(options.max_authors) == "integer" and options.max_authors >= 0,
           "options.max_authors must be a non-negative integer")
    max_authors = options.max_authors
  end
end

-- A bounded set of metric names: an unbounded one would grow the daemon's
-- registry (and every scrape) with each new author.
local function author_metric(author)
  if authors[author] then return "posts_by_" .. author end
  if author_count < max_authors then
    authors[author] = true
    author_count = author_count + 1
    fanout.gauge("authors_tracked", author_count)
    return "posts_by_" .. author
  end
  return "posts_by_other_authors"
end

local type_metric = setmetatable({}, { __index = function(t, k)
  local name = "events_" .. k
  t[k] = name
  return name
end })

-- Batched, and the per-event work kept to one field read and one increment:
-- metrics are updated once per batch, from the counts by type.
function on_batch(events)
  local by_type = {}
  local by_author = nil
  for i = 1, #events do
    local event = events[i]
    local kind = event.type
    by_type[kind] = (by_type[kind] or 0) + 1
    if kind == "PostCreatedEvent" then
      local author = event.data.author
      if author ~= nil and author ~= "" then
        by_author = by_author or {}
        by_author[author] = (by_author[author] or 0) + 1
      end
    end
  end
  local counter = fanout.counter
  for kind, n in pairs(by_type) do counter(type_metric[kind], n) end
  if by_author ~= nil then
    for author, n in pairs(by_author) do counter(author_metric(author), n) end
  end
  if by_type.CommentAddedEvent then counter("comments_total", by_type.CommentAddedEvent) end
  if by_type.PostLikedEvent then counter("likes_total", by_type.PostLikedEvent) end
  counter("events_total", #events)
  -- The last event stands for the batch: reading a timestamp parses the
  -- envelope, which is most of the cost of an event here.
  local newest = #events > 0 and events[#events].timestamp or nil
  if newest ~= nil then fanout.gauge("last_event_age_seconds", fanout.time() - newest / 1000) end
end
