-- Trending posts, as a Lua projection: per post and UTC hour, its likes,
-- comments and a score (a like 1, a comment 3, a removed comment -3), and per
-- hour the post leading it. Exactly once: fanout.sql writes in the batch's
-- transaction with the checkpoints (docs/projections.md). Plugin entry:
--
--   - name: trending
--     type: lua
--     path: /etc/fanout/projections/trending_hours.lua
--     topics: [post-events]
--     event_types: [PostLikedEvent, CommentAddedEvent, CommentRemovedEvent, PostRemovedEvent]
--     lua:
--       connection: sqlite:/var/lib/fanout/trending.db
--
-- The hottest posts of an hour:
--   SELECT post_id, score FROM trending_hours WHERE hour = '2026-11-03T14' ORDER BY score DESC LIMIT 10
schema = {
  component = "trending",
  migrations = {
    {
      description = "activity per post and hour, the leader of each hour",
      sql = {
        [[CREATE TABLE trending_hours (hour TEXT NOT NULL, post_id TEXT NOT NULL,
          likes BIGINT NOT NULL DEFAULT 0, comments BIGINT NOT NULL DEFAULT 0, score BIGINT NOT NULL DEFAULT 0,
          PRIMARY KEY (hour, post_id))]],
        "CREATE INDEX trending_hours_score ON trending_hours (hour, score DESC)",
        "CREATE TABLE trending_leaders (hour TEXT PRIMARY KEY, post_id TEXT NOT NULL, score BIGINT NOT NULL)",
      },
    },
  },
}

local weights = {
  PostLikedEvent = { likes = 1, comments = 0, score = 1 },
  CommentAddedEvent = { likes = 0, comments = 1, score = 3 },
  CommentRemovedEvent = { likes = 0, comments = -1, score = -3 },
}

local COUNT = [[INSERT INTO trending_hours (hour, post_id, likes, comments, score)
  VALUES (:hour, :post, :likes, :comments, :score)
  ON CONFLICT (hour, post_id) DO UPDATE SET likes = trending_hours.likes + excluded.likes,
    comments = trending_hours.comments + excluded.comments, score = trending_hours.score + excluded.score]]
local TOP = [[SELECT post_id, score FROM trending_hours WHERE hour = :hour
  ORDER BY score DESC, post_id LIMIT 1]]
local LEAD = [[INSERT INTO trending_leaders (hour, post_id, score) VALUES (:hour, :post, :score)
  ON CONFLICT (hour) DO UPDATE SET post_id = excluded.post_id, score = excluded.score]]

function on_event(event)
  local post = event.aggregate_id
  if event.type == "PostRemovedEvent" then
    -- Its hours lose it; an hour it led gets its leader again on its next event.
    fanout.sql.exec("DELETE FROM trending_hours WHERE post_id = :post", { post = post })
    fanout.sql.exec("DELETE FROM trending_leaders WHERE post_id = :post", { post = post })
    return
  end
  local w = weights[event.type]
  if w == nil then return end
  local hour = string.sub(event.occurred_at or "", 1, 13) -- 2026-11-03T14
  if #hour ~= 13 then
    return event:reject("occurredAt is not an ISO 8601 timestamp: " .. tostring(event.occurred_at))
  end
  fanout.sql.exec(COUNT, { hour = hour, post = post, likes = w.likes, comments = w.comments, score = w.score })
  -- Reads what this batch wrote so far: the same transaction.
  local top = fanout.sql.query(TOP, { hour = hour })[1]
  fanout.sql.exec(LEAD, { hour = hour, post = top.post_id, score = top.score })
end
