using System.Collections.Immutable;
using System.Text.Json;
using Nanokit.Core.Model;
using Nanokit.Server.Events;
using Npgsql;
using NpgsqlTypes;

namespace Nanokit.Server.Intents;

/// <summary>
/// The control plane's tables beside the journal: <c>nanokit_intents</c> (what each project should be: the resolved
/// spec, its generation, deployed or undeployed), <c>nanokit_status</c> (what the owning node last reported),
/// <c>nanokit_events</c> (<see cref="EventLog"/>), <c>nanokit_observed</c> and <c>nanokit_restarts</c> (<see cref="Runtime.ObservedStore"/>).
/// An intent is written with its NOTIFY in one transaction, so a notification never names an intent that is not
/// there, and an intent that is there is found by the next sweep even if its notification was lost. Each intent is
/// also the next event of the project's log (<see cref="EventLog"/>): <c>nanokit_intents.revision</c> is the newest
/// revision, and the row lock an update takes orders every writer of one project's events. Writes are committed in
/// batches (<see cref="IntentWriter"/>).
/// </summary>
internal sealed partial class IntentStore(NpgsqlDataSource dataSource, string channel, string eventsChannel, int maxBatch)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly IntentWriter writer = new(dataSource, channel, eventsChannel, maxBatch);

    public NpgsqlDataSource DataSource => dataSource;

    public string Channel => channel;

    /// <summary>The channel notified (payload: a project name) whenever a project's event log grows.</summary>
    public string EventsChannel => eventsChannel;

    /// <summary>Creates the tables once per database; nodes starting together take turns on an advisory lock.</summary>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var command = new NpgsqlCommand(
            """
            SELECT pg_advisory_xact_lock(7950);
            CREATE TABLE IF NOT EXISTS nanokit_intents (
              project text PRIMARY KEY,
              generation bigint NOT NULL,
              desired text NOT NULL,
              runtime text NOT NULL,
              spec jsonb,
              accepted_at timestamptz NOT NULL);
            ALTER TABLE nanokit_intents ADD COLUMN IF NOT EXISTS revision bigint NOT NULL DEFAULT 0;
            ALTER TABLE nanokit_intents ADD COLUMN IF NOT EXISTS stop_timeout interval;
            ALTER TABLE nanokit_intents ADD COLUMN IF NOT EXISTS stopped text[] NOT NULL DEFAULT '{}';
            ALTER TABLE nanokit_intents ADD COLUMN IF NOT EXISTS restart text[] NOT NULL DEFAULT '{}';
            CREATE TABLE IF NOT EXISTS nanokit_events (
              project text NOT NULL,
              revision bigint NOT NULL,
              generation bigint NOT NULL,
              event jsonb NOT NULL,
              PRIMARY KEY (project, revision));
            CREATE INDEX IF NOT EXISTS nanokit_intents_accepted_at ON nanokit_intents (accepted_at);
            CREATE TABLE IF NOT EXISTS nanokit_observed (
              project text PRIMARY KEY,
              observed jsonb NOT NULL,
              observed_at timestamptz NOT NULL,
              owner text NOT NULL);
            CREATE TABLE IF NOT EXISTS nanokit_restarts (
              project text PRIMARY KEY,
              counts jsonb NOT NULL,
              owner text NOT NULL,
              updated_at timestamptz NOT NULL);
            CREATE TABLE IF NOT EXISTS nanokit_status (
              project text PRIMARY KEY,
              accepted_generation bigint NOT NULL,
              observed_generation bigint NOT NULL,
              phase text NOT NULL,
              failures jsonb NOT NULL,
              owner text NOT NULL,
              updated_at timestamptz NOT NULL);
            """, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stores "deploy <paramref name="spec"/>" as the project's next generation, records the event and notifies.</summary>
    public Task<Accepted> ApplyAsync(ProjectSpec spec, string node, CancellationToken cancellationToken) => writer.WriteAsync(
        """
        INSERT INTO nanokit_intents (project, generation, desired, runtime, spec, accepted_at, revision)
        VALUES (@project, 1, 'deployed', @runtime, @spec, now(), 1)
        ON CONFLICT (project) DO UPDATE SET generation = nanokit_intents.generation + 1, desired = 'deployed',
          runtime = EXCLUDED.runtime, spec = EXCLUDED.spec, accepted_at = now(), revision = nanokit_intents.revision + 1,
          stop_timeout = NULL, stopped = '{}', restart = '{}'
        """,
        spec.Name,
        node,
        Api.V1.DesiredState.Deployed,
        [new NpgsqlParameter("runtime", spec.Runtime.ToString().ToLowerInvariant()), new NpgsqlParameter("spec", NpgsqlDbType.Jsonb) { Value = JsonSerializer.Serialize(spec, Json) }],
        cancellationToken);

    /// <summary>
    /// Stores "undeployed" as the project's next generation, with the grace period each replica is given (null: its
    /// stop_grace_period), records the event and notifies; null when the project is unknown.
    /// </summary>
    public async Task<Accepted?> DeleteAsync(string project, TimeSpan? stopTimeout, string node, CancellationToken cancellationToken)
    {
        var accepted = await writer.WriteAsync(
            """
            UPDATE nanokit_intents SET generation = generation + 1, desired = 'undeployed', spec = NULL, accepted_at = now(),
              revision = revision + 1, stop_timeout = @stop_timeout, stopped = '{}', restart = '{}'
            WHERE project = @project
            """,
            project,
            node,
            Api.V1.DesiredState.Undeployed,
            [new NpgsqlParameter("stop_timeout", NpgsqlDbType.Interval) { Value = stopTimeout is { } timeout ? timeout : DBNull.Value }],
            cancellationToken).ConfigureAwait(false);
        return accepted.Generation == 0 ? null : accepted;
    }

    /// <summary>
    /// The intents whose generation the owning node has not reported accepting: of <paramref name="projects"/> (all
    /// when null), accepted at or after <paramref name="since"/> (any time when null), of the projects
    /// <paramref name="include"/> accepts (tested before a spec is parsed); with the store's clock at the read.
    /// </summary>
    public async Task<PendingRead> PendingAsync(ImmutableArray<string>? projects, DateTimeOffset? since, Func<string, bool> include, CancellationToken cancellationToken)
    {
        await using var batch = dataSource.CreateBatch();
        batch.BatchCommands.Add(new NpgsqlBatchCommand("SELECT statement_timestamp();"));
        // One statement per kind of read, each with its own index (the primary key, accepted_at): statements are
        // prepared once per connection, and a generic plan of "@x IS NULL OR ..." could use neither.
        var select = new NpgsqlBatchCommand(
            $"""
            SELECT i.project, i.generation, i.spec, i.stop_timeout, i.stopped, i.restart FROM nanokit_intents i LEFT JOIN nanokit_status s USING (project)
            WHERE i.generation > coalesce(s.accepted_generation, 0){(projects is not null ? " AND i.project = ANY(@projects)" : "")}{(since is not null ? " AND i.accepted_at >= @since" : "")}
            ORDER BY i.accepted_at, i.project;
            """);
        if (projects is { } names)
        {
            select.Parameters.AddWithValue("projects", NpgsqlDbType.Array | NpgsqlDbType.Text, names.ToArray());
        }

        if (since is { } from)
        {
            select.Parameters.AddWithValue("since", NpgsqlDbType.TimestampTz, from);
        }

        batch.BatchCommands.Add(select);
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var readAt = reader.GetFieldValue<DateTimeOffset>(0);
        await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
        var intents = ImmutableArray.CreateBuilder<Intent>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (!include(reader.GetString(0)))
            {
                continue;
            }

            // The spec stays JSON: most reads name intents the delivery already holds, and only a send needs it parsed.
            intents.Add(new Intent(reader.GetString(0), reader.GetInt64(1), reader.IsDBNull(2) ? null : reader.GetString(2))
            {
                StopTimeout = reader.IsDBNull(3) ? null : reader.GetFieldValue<TimeSpan>(3),
                Stopped = ImmutableArray.Create(reader.GetFieldValue<string[]>(4)),
                Restart = ImmutableArray.Create(reader.GetFieldValue<string[]>(5)),
            });
        }

        return new PendingRead(intents.ToImmutable(), readAt);
    }

    /// <summary>Every project with a stored intent, by name.</summary>
    public async Task<ImmutableArray<string>> ProjectsAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT project FROM nanokit_intents ORDER BY project;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var names = ImmutableArray.CreateBuilder<string>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            names.Add(reader.GetString(0));
        }

        return names.ToImmutable();
    }

    /// <summary>The project's latest intent: generation, spec (null spec: undeployed) and stopped services; null when unknown.</summary>
    public async Task<Intent?> IntentAsync(string project, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT generation, spec, stopped FROM nanokit_intents WHERE project = @project;");
        command.Parameters.AddWithValue("project", project);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false)
            ? new Intent(project, reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetString(1)) { Stopped = ImmutableArray.Create(reader.GetFieldValue<string[]>(2)) }
            : null;
    }

    /// <summary>An intent's spec as stored (null: undeployed), parsed.</summary>
    public static ProjectSpec? Spec(Intent intent) => intent.SpecJson is { } json ? JsonSerializer.Deserialize<ProjectSpec>(json, Json) : null;

    /// <summary>The runtime a project's latest intent names ("local", "docker", ...); null when unknown.</summary>
    public async Task<string?> RuntimeOfAsync(string project, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT runtime FROM nanokit_intents WHERE project = @project;");
        command.Parameters.AddWithValue("project", project);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
    }

    /// <summary>Records what the owner reports; generations only move forward, whatever order reports arrive in.</summary>
    public static NpgsqlBatchCommand ReportCommand(StatusReport report)
    {
        var command = new NpgsqlBatchCommand(
            """
            INSERT INTO nanokit_status AS s (project, accepted_generation, observed_generation, phase, failures, owner, updated_at)
            VALUES (@project, @accepted, @observed, @phase, @failures, @owner, now())
            ON CONFLICT (project) DO UPDATE SET
              accepted_generation = greatest(s.accepted_generation, EXCLUDED.accepted_generation),
              observed_generation = greatest(s.observed_generation, EXCLUDED.observed_generation),
              phase = CASE WHEN EXCLUDED.accepted_generation >= s.accepted_generation THEN EXCLUDED.phase ELSE s.phase END,
              failures = CASE WHEN EXCLUDED.accepted_generation >= s.accepted_generation THEN EXCLUDED.failures ELSE s.failures END,
              owner = EXCLUDED.owner, updated_at = now();
            """);
        command.Parameters.AddWithValue("project", report.Project);
        command.Parameters.AddWithValue("accepted", report.Generation);
        command.Parameters.AddWithValue("observed", report.ObservedGeneration);
        command.Parameters.AddWithValue("phase", report.Phase);
        command.Parameters.AddWithValue("failures", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(report.Failures, Json));
        command.Parameters.AddWithValue("owner", report.Owner);
        return command;
    }

    public async Task<ProjectView?> GetAsync(string project, CancellationToken cancellationToken)
    {
        var found = await QueryAsync("WHERE i.project = @project", 1, 0, project, cancellationToken).ConfigureAwait(false);
        return found.IsEmpty ? null : found[0];
    }

    /// <summary>A page of projects, failing ones first, then by name.</summary>
    public Task<ImmutableArray<ProjectView>> ListAsync(int limit, int offset, CancellationToken cancellationToken) =>
        QueryAsync("", limit, offset, null, cancellationToken);

    /// <summary>Whether the database answers (the journal lives in the same one).</summary>
    public async Task PingAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT 1;");
        await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<ImmutableArray<ProjectView>> QueryAsync(string where, int limit, int offset, string? project, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT i.project, i.generation, i.desired, i.runtime, i.accepted_at,
                   coalesce(s.observed_generation, 0), coalesce(s.phase, 'Pending'), coalesce(s.failures, '[]'::jsonb),
                   coalesce(s.owner, ''), coalesce(s.updated_at, i.accepted_at), coalesce(s.accepted_generation, 0), i.revision, i.stopped
            FROM nanokit_intents i LEFT JOIN nanokit_status s USING (project)
            {where}
            ORDER BY (coalesce(s.phase, '') = 'Failed') DESC, i.project
            LIMIT @limit OFFSET @offset;
            """);
        command.Parameters.AddWithValue("limit", limit);
        command.Parameters.AddWithValue("offset", offset);
        if (project is not null)
        {
            command.Parameters.AddWithValue("project", project);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var views = ImmutableArray.CreateBuilder<ProjectView>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var generation = reader.GetInt64(1);
            var reportedFor = reader.GetInt64(10);
            // A status reported for an older generation says nothing yet about the newest intent.
            var phase = reportedFor < generation && reader.GetString(6) != "Reconciling" ? "Pending" : reader.GetString(6);
            views.Add(new ProjectView(
                reader.GetString(0),
                generation,
                reader.GetInt64(5),
                reader.GetString(2),
                reader.GetString(3),
                phase,
                JsonSerializer.Deserialize<ImmutableArray<string>>(reader.GetString(7), Json),
                reader.GetString(8),
                reader.GetFieldValue<DateTimeOffset>(4),
                reader.GetFieldValue<DateTimeOffset>(9),
                reader.GetInt64(11),
                ImmutableArray.Create(reader.GetFieldValue<string[]>(12))));
        }

        return views.ToImmutable();
    }
}

/// <summary>An accepted intent: its generation and the revision of the event that recorded it.</summary>
internal sealed record Accepted(long Generation, long Revision);

/// <summary>Pending intents as read, and the store's clock when it read them (the next sweep starts from there).</summary>
internal sealed record PendingRead(ImmutableArray<Intent> Intents, DateTimeOffset ReadAt);

/// <summary>
/// A stored intent: deploy the spec stored as <paramref name="SpecJson"/> (null: undeployed) as generation
/// <paramref name="Generation"/>; <see cref="IntentStore.Spec"/> parses it.
/// </summary>
internal sealed record Intent(string Project, long Generation, string? SpecJson)
{
    /// <summary>The grace period the generation's runs give each replica they stop (<c>down -t</c>); null: its stop_grace_period.</summary>
    public TimeSpan? StopTimeout { get; init; }

    /// <summary>The services kept stopped (<c>stop</c>) until <c>start</c>, <c>restart</c> or <c>up</c>; part of the desired state.</summary>
    public ImmutableArray<string> Stopped { get; init; } = [];

    /// <summary>The services this generation's run stops and starts once (<c>restart</c>); not part of the desired state.</summary>
    public ImmutableArray<string> Restart { get; init; } = [];
}

/// <summary>What the owning node reports about a project after each run starts or ends.</summary>
internal sealed record StatusReport(string Project, long Generation, long ObservedGeneration, string Phase, ImmutableArray<string> Failures, string Owner);

/// <summary>
/// A project as the API shows it: intent joined with the owner's last report. <paramref name="Stopped"/> is the
/// latest intent's stopped set, read in the same query so GetProject need not read the intent (spec and all) again.
/// </summary>
internal sealed record ProjectView(
    string Name,
    long Generation,
    long ObservedGeneration,
    string Desired,
    string Runtime,
    string Phase,
    ImmutableArray<string> Failures,
    string Owner,
    DateTimeOffset AcceptedAt,
    DateTimeOffset UpdatedAt,
    long Revision,
    ImmutableArray<string> Stopped);
