-- The seed's read model (posts, their comments and likes, removed posts) as a
-- Lua projection: the same tables the sql_read_model plugin fills, written
-- with fanout.sql in the batch's transaction (docs/projections.md). Run it
-- with a database in its plugin entry:
--
--   plugins:
--     - name: read-model
--       type: lua
--       path: /etc/fanout/projections/read_model.lua
--       topics: [post-events]
--       lua:
--         connection: sqlite:/var/lib/fanout/read-model.db
--
-- Exactly once: the statements commit with the batch's checkpoints, so
-- `likes + 1` counts each event once across crashes and replays. The guards
-- on applied_version also make a copy of an event that the outbox relay
-- published twice change nothing.
schema = {
  component = "lua_read_model",
  migrations = {
    {
      description = "posts and their comments",
      sql = {
        [[CREATE TABLE posts (post_id TEXT PRIMARY KEY, author TEXT NOT NULL, message TEXT NOT NULL,
          date_posted TEXT NOT NULL, likes BIGINT NOT NULL DEFAULT 0, applied_version BIGINT NOT NULL)]],
        "CREATE INDEX posts_author ON posts (author)",
        "CREATE INDEX posts_likes ON posts (likes)",
        [[CREATE TABLE comments (comment_id TEXT PRIMARY KEY,
          post_id TEXT NOT NULL REFERENCES posts (post_id) ON DELETE CASCADE, username TEXT NOT NULL,
          comment TEXT NOT NULL, comment_date TEXT NOT NULL, edited INTEGER NOT NULL DEFAULT 0)]],
        "CREATE INDEX comments_post ON comments (post_id)",
      },
    },
    {
      description = "removed posts (tombstones, so a removed post never comes back)",
      sql = "CREATE TABLE removed_posts (post_id TEXT PRIMARY KEY, applied_version BIGINT NOT NULL)",
    },
  },
}

local exec = fanout.sql.exec

-- A post's version moves forward with each of its events; a statement that
-- finds the version already there is a replayed copy and changes nothing.
local ADVANCE = [[UPDATE posts SET applied_version = :version
  WHERE post_id = :post AND applied_version < :version]]
local NEWER = "EXISTS (SELECT 1 FROM posts WHERE post_id = :post AND applied_version < :version)"

local handlers = {
  PostCreatedEvent = function(e, d)
    exec([[INSERT INTO posts (post_id, author, message, date_posted, likes, applied_version)
      SELECT :post, :author, :message, :date, 0, CAST(:version AS BIGINT)
      WHERE NOT EXISTS (SELECT 1 FROM removed_posts WHERE post_id = :post)
      ON CONFLICT (post_id) DO NOTHING]],
      { post = e.aggregate_id, author = d.author, message = d.message, date = d.datePosted, version = e.version })
  end,
  PostLikedEvent = function(e)
    exec([[UPDATE posts SET likes = likes + 1, applied_version = :version
      WHERE post_id = :post AND applied_version < :version]], { post = e.aggregate_id, version = e.version })
  end,
  MessageUpdatedEvent = function(e, d)
    exec([[UPDATE posts SET message = :message, applied_version = :version
      WHERE post_id = :post AND applied_version < :version]],
      { post = e.aggregate_id, message = d.message, version = e.version })
  end,
  CommentAddedEvent = function(e, d)
    exec([[INSERT INTO comments (comment_id, post_id, username, comment, comment_date, edited)
      SELECT :id, :post, :username, :comment, :date, 0 WHERE ]] .. NEWER .. [[
      ON CONFLICT (comment_id) DO UPDATE SET username = excluded.username, comment = excluded.comment,
      comment_date = excluded.comment_date, edited = 0 WHERE comments.post_id = excluded.post_id]],
      { id = d.commentId, post = e.aggregate_id, username = d.username, comment = d.comment, date = d.commentDate,
        version = e.version })
    exec(ADVANCE, { post = e.aggregate_id, version = e.version })
  end,
  CommentUpdatedEvent = function(e, d)
    exec([[UPDATE comments SET comment = :comment, comment_date = :date, edited = 1
      WHERE comment_id = :id AND post_id = :post AND ]] .. NEWER,
      { id = d.commentId, post = e.aggregate_id, comment = d.comment, date = d.editDate, version = e.version })
    exec(ADVANCE, { post = e.aggregate_id, version = e.version })
  end,
  CommentRemovedEvent = function(e, d)
    exec("DELETE FROM comments WHERE comment_id = :id AND post_id = :post AND " .. NEWER,
      { id = d.commentId, post = e.aggregate_id, version = e.version })
    exec(ADVANCE, { post = e.aggregate_id, version = e.version })
  end,
  PostRemovedEvent = function(e)
    exec([[INSERT INTO removed_posts (post_id, applied_version) VALUES (:post, :version)
      ON CONFLICT (post_id) DO NOTHING]], { post = e.aggregate_id, version = e.version })
    exec("DELETE FROM comments WHERE post_id = :post", { post = e.aggregate_id })
    exec("DELETE FROM posts WHERE post_id = :post", { post = e.aggregate_id })
  end,
}

function on_event(event)
  local handle = handlers[event.type]
  if handle then handle(event, event.data) end
end
