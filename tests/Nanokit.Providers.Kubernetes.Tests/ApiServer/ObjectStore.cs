using System.Globalization;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Nanokit.Providers.Kubernetes.Tests.ApiServer;

/// <summary>
/// One change: the object as it was after the change, with the change's resourceVersion, and as it was before (null for a
/// create). A watch with a selector sees it through <see cref="ObjectStore.AsSeenBy"/>.
/// </summary>
internal sealed record StoredEvent(string Resource, string? Namespace, long Revision, string Type, JsonObject Object)
{
    public JsonObject? Previous { get; init; }
}

/// <summary>
/// The objects of the test API server in memory, as etcd holds them for the real one: one monotonic revision for the whole
/// store, written into each object's <c>metadata.resourceVersion</c> on every change; creates that find the name taken
/// answer 409 AlreadyExists; replaces carrying a stale resourceVersion answer 409 Conflict; <c>metadata.generation</c>
/// moves only when the spec does. Every change is kept as an event so that a watch can start from any resourceVersion
/// not yet compacted (<see cref="Compact"/>); older ones get 410 Expired. A watch with a selector judges the object before
/// and after each change, as the real watch cache does (cacheWatcher.convertToWatchEvent): an object that comes to match is
/// ADDED, one that stops matching (relabelled) is DELETED with its previous content at the change's resourceVersion.
/// One lock: it is a test server.
/// </summary>
internal sealed class ObjectStore
{
    private readonly Lock gate = new();
    private readonly Dictionary<(string Resource, string Namespace, string Name), JsonObject> objects = [];
    private readonly List<StoredEvent> history = [];
    private readonly List<Watcher> watchers = [];
    private long revision = 100;
    private long compacted;

    /// <summary>The store's current revision (what a list answers as its resourceVersion).</summary>
    public long Revision
    {
        get
        {
            lock (gate)
            {
                return revision;
            }
        }
    }

    public JsonObject Create(string resource, string? ns, JsonObject obj)
    {
        var name = obj["metadata"]!["name"]!.GetValue<string>();
        lock (gate)
        {
            if (ns is not null && !objects.ContainsKey(("namespaces", "", ns)))
            {
                throw ApiError.NotFound("namespaces", ns);
            }

            if (objects.ContainsKey((resource, ns ?? "", name)))
            {
                throw ApiError.AlreadyExists(resource, name);
            }

            var meta = obj["metadata"]!.AsObject();
            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = Now();
            meta["generation"] = 1L;
            meta.Remove("deletionTimestamp");
            meta.Remove("deletionGracePeriodSeconds");
            return Commit(resource, ns, name, obj, "ADDED");
        }
    }

    public JsonObject? Get(string resource, string? ns, string name)
    {
        lock (gate)
        {
            return objects.GetValueOrDefault((resource, ns ?? "", name))?.DeepClone().AsObject();
        }
    }

    public (List<JsonObject> Items, long Revision) List(string resource, string? ns, Func<JsonObject, bool> filter)
    {
        lock (gate)
        {
            var items = objects
                .Where(o => o.Key.Resource == resource && (ns is null || o.Key.Namespace == ns) && filter(o.Value))
                .OrderBy(o => o.Key.Namespace, StringComparer.Ordinal).ThenBy(o => o.Key.Name, StringComparer.Ordinal)
                .Select(o => o.Value.DeepClone().AsObject())
                .ToList();
            return (items, revision);
        }
    }

    /// <summary>
    /// PUT: <paramref name="merge"/> builds the stored object from (current, sent) — it keeps what clients cannot change
    /// (status, uid, creationTimestamp) and refuses immutable fields. A sent resourceVersion must be the current one.
    /// </summary>
    public JsonObject Replace(string resource, string? ns, string name, JsonObject sent, Func<JsonObject, JsonObject, JsonObject> merge)
    {
        lock (gate)
        {
            var current = objects.GetValueOrDefault((resource, ns ?? "", name)) ?? throw ApiError.NotFound(resource, name);
            var sentVersion = sent["metadata"]?["resourceVersion"]?.GetValue<string>();
            if (!string.IsNullOrEmpty(sentVersion) && sentVersion != current["metadata"]!["resourceVersion"]!.GetValue<string>())
            {
                throw ApiError.Conflict(resource, name);
            }

            var next = merge(current.DeepClone().AsObject(), sent);
            var meta = next["metadata"]!.AsObject();
            var generation = current["metadata"]!["generation"]!.GetValue<long>();
            meta["generation"] = JsonNode.DeepEquals(current["spec"], next["spec"]) ? generation : generation + 1;
            return Commit(resource, ns, name, next, "MODIFIED");
        }
    }

    /// <summary>A change made by the control plane itself (scheduler, kubelet): status and deletion fields; null when the object is gone.</summary>
    public JsonObject? Update(string resource, string? ns, string name, Func<JsonObject, bool> change)
    {
        lock (gate)
        {
            if (objects.GetValueOrDefault((resource, ns ?? "", name)) is not { } current)
            {
                return null;
            }

            var next = current.DeepClone().AsObject();
            return change(next) ? Commit(resource, ns, name, next, "MODIFIED") : next;
        }
    }

    /// <summary>Removes the object for good (a DELETED event at a new revision); null when it was not there.</summary>
    public JsonObject? Remove(string resource, string? ns, string name)
    {
        lock (gate)
        {
            if (!objects.Remove((resource, ns ?? "", name), out var gone))
            {
                return null;
            }

            var before = gone.DeepClone().AsObject();
            revision++;
            gone["metadata"]!["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
            Publish(new StoredEvent(resource, ns, revision, "DELETED", gone.DeepClone().AsObject()) { Previous = before });
            return gone;
        }
    }

    /// <summary>
    /// A watch of <paramref name="resource"/> in <paramref name="ns"/> (null: every namespace). From a resourceVersion: every
    /// change after it (410 Expired when that history is compacted); without one (or "0"): ADDED for what exists now, then changes.
    /// </summary>
    public ChannelReader<StoredEvent> Watch(string resource, string? ns, Func<JsonObject, bool> filter, long? from, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<StoredEvent>();
        lock (gate)
        {
            if (from is { } start and > 0)
            {
                if (start < compacted)
                {
                    throw ApiError.Expired(start, compacted);
                }

                foreach (var e in history.Where(e => e.Revision > start).Select(e => AsSeenBy(e, resource, ns, filter)).OfType<StoredEvent>())
                {
                    channel.Writer.TryWrite(e);
                }
            }
            else
            {
                foreach (var ((r, n, _), obj) in objects.Where(o => o.Key.Resource == resource && (ns is null || o.Key.Namespace == ns) && filter(o.Value)))
                {
                    channel.Writer.TryWrite(new StoredEvent(r, n.Length == 0 ? null : n, revision, "ADDED", obj.DeepClone().AsObject()));
                }
            }

            var watcher = new Watcher(resource, ns, filter, channel.Writer);
            watchers.Add(watcher);
            cancellationToken.Register(() =>
            {
                lock (gate)
                {
                    watchers.Remove(watcher);
                }

                channel.Writer.TryComplete();
            });
        }

        return channel.Reader;
    }

    /// <summary>Forgets the history up to now, as etcd compaction does: a watch from any earlier resourceVersion gets 410 Expired.</summary>
    public void Compact()
    {
        lock (gate)
        {
            compacted = revision;
            history.Clear();
        }
    }

    /// <summary>Ends every open watch (the server shutting down, or a test showing that clients watch again).</summary>
    public void CloseWatches()
    {
        lock (gate)
        {
            foreach (var watcher in watchers)
            {
                watcher.Writer.TryComplete();
            }

            watchers.Clear();
        }
    }

    public static string Now() => DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private JsonObject Commit(string resource, string? ns, string name, JsonObject obj, string type)
    {
        var before = objects.GetValueOrDefault((resource, ns ?? "", name))?.DeepClone().AsObject();
        revision++;
        obj["metadata"]!["resourceVersion"] = revision.ToString(CultureInfo.InvariantCulture);
        objects[(resource, ns ?? "", name)] = obj;
        Publish(new StoredEvent(resource, ns, revision, type, obj.DeepClone().AsObject()) { Previous = before });
        return obj.DeepClone().AsObject();
    }

    private void Publish(StoredEvent change)
    {
        history.Add(change);
        foreach (var watcher in watchers)
        {
            if (AsSeenBy(change, watcher.Resource, watcher.Namespace, watcher.Filter) is { } seen)
            {
                watcher.Writer.TryWrite(seen);
            }
        }
    }

    /// <summary>The change as a watch of <paramref name="resource"/> in <paramref name="ns"/> with <paramref name="filter"/> gets it, or null when it gets nothing.</summary>
    public static StoredEvent? AsSeenBy(StoredEvent e, string resource, string? ns, Func<JsonObject, bool> filter)
    {
        if (e.Resource != resource || (ns is not null && e.Namespace != ns))
        {
            return null;
        }

        var now = e.Type != "DELETED" && filter(e.Object);
        var before = e.Previous is { } previous && filter(previous);
        if (!now && !before)
        {
            return null;
        }

        if (now)
        {
            return e with { Type = before ? "MODIFIED" : "ADDED" };
        }

        var gone = e.Previous!.DeepClone().AsObject();
        gone["metadata"]!["resourceVersion"] = e.Revision.ToString(CultureInfo.InvariantCulture);
        return e with { Type = "DELETED", Object = gone };
    }

    private sealed record Watcher(string Resource, string? Namespace, Func<JsonObject, bool> Filter, ChannelWriter<StoredEvent> Writer);
}
