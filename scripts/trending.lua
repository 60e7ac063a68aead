-- trending.lua: announces a post as trending once its likes reach a threshold.
--
-- For each PostLikedEvent it counts likes per post; when a post reaches
-- `threshold` likes it emits a PostTrending event (key = post id) to `topic`.
-- The emit is delivered only once the triggering like is done, at least
-- once: a replayed like may announce again, so consumers de-duplicate on
-- `eventId` (derived from the like's event id, hence stable across replays).
--
-- Memory stays bounded: likes are kept for at most `max_posts` posts in two
-- generations; when the young one fills up the old one is dropped, so a
-- post that saw no like for a long time starts counting again from zero.
-- Counts live in memory: a restart starts from zero too, unless the plugin
-- re-reads the topic from the beginning (start_from: earliest, new group).
--
-- config:
--   - name: trending
--     type: lua
--     path: scripts/trending.lua
--     topics: [post-events]
--     event_types: [PostLikedEvent, PostRemovedEvent]
--     options: { threshold: 100, topic: post-trending, max_posts: 100000 }

local threshold = 10
local topic = "post-trending"
local max_posts = 100000

local young, old = {}, {}
local young_size, old_size = 0, 0

function init(options)
  threshold = options.threshold or threshold
  topic = options.topic or topic
  max_posts = options.max_posts or max_posts
  assert(math.type(threshold) == "integer" and threshold > 0, "options.threshold must be a positive integer")
  assert(type(topic) == "string" and topic ~= "", "options.topic must be a topic name")
  assert(math.type(max_posts) == "integer" and max_posts >= 2, "options.max_posts must be an integer >= 2")
  fanout.log.info(string.format("announcing posts with %d likes to %s (tracking at most %d posts)",
                                threshold, topic, max_posts))
end

local function likes_of(post)
  local n = young[post]
  if n ~= nil then return n end
  n = old[post]
  if n == nil then return 0 end
  old[post] = nil  -- promoted: the caller stores it in the young generation
  old_size = old_size - 1
  return n
end

local function store(post, n)
  if young[post] == nil then
    if young_size >= max_posts // 2 then
      old, old_size = young, young_size
      young, young_size = {}, 0
      fanout.counter("generations_rotated")
    end
    young_size = young_size + 1
  end
  young[post] = n
end

function on_event(event)
  local post = event.aggregate_id
  if post == "" then fanout.reject("event without an aggregate id") end

  if event.type == "PostRemovedEvent" then
    if young[post] ~= nil then young_size = young_size - 1 end
    if old[post] ~= nil then old_size = old_size - 1 end
    young[post], old[post] = nil, nil
    return
  end

  local likes = likes_of(post) + 1
  store(post, likes)
  if likes == threshold then
    fanout.emit(topic, post, {
      eventId = "trending-" .. event.event_id,
      type = "PostTrending",
      aggregateId = post,
      likes = likes,
      threshold = threshold,
      occurredAt = event.occurred_at,
    }, { ["event-type"] = "PostTrending" })
    fanout.counter("posts_trending")
  end
  fanout.gauge("posts_tracked", young_size + old_size)
end
