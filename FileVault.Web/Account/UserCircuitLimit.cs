using System.Collections.Concurrent;
using FileVault.Core.Access;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server.Circuits;
using Microsoft.Extensions.Options;

namespace FileVault.Web.Account;

/// <summary>
/// The open Blazor circuits of each user in this process (circuits live in the process that started them, so a count
/// per process is the count that costs this process memory). Admits at most a configured number per user.
/// </summary>
public sealed class UserCircuitRegistry
{
    private readonly ConcurrentDictionary<Guid, HashSet<string>> _open = new();

    /// <summary>Counts <paramref name="circuitId"/> for <paramref name="userId"/> unless they already hold <paramref name="limit"/>.</summary>
    public bool TryAdmit(Guid userId, string circuitId, int limit)
    {
        var circuits = _open.GetOrAdd(userId, _ => []);
        lock (circuits)
        {
            return circuits.Count < limit && circuits.Add(circuitId);
        }
    }

    public void Release(Guid userId, string circuitId)
    {
        if (_open.TryGetValue(userId, out var circuits))
        {
            lock (circuits)
            {
                circuits.Remove(circuitId);
            }
        }
    }

    public int CountOf(Guid userId) => _open.TryGetValue(userId, out var circuits) ? circuits.Count : 0;
}

/// <summary>
/// Per-user circuit cap (R-BLAZOR-1): a user's circuit beyond <see cref="AccountOptions.MaxCircuitsPerUser"/> is
/// not admitted, and the layout shows it a "too many open windows" page instead of the app, while the user's other
/// windows keep working. One instance per circuit (scoped); Blazor calls it before the circuit renders anything.
/// </summary>
/// <remarks>
/// A closed tab usually ends its circuit at once (the browser says goodbye); one that vanished without a word (a crash,
/// a lost network) holds its place until Blazor gives up on it (<c>DisconnectedCircuitRetentionPeriod</c>, 3 minutes).
/// </remarks>
public sealed class UserCircuitLimit(
    AuthenticationStateProvider authentication, UserCircuitRegistry registry, IOptions<AccountOptions> options, ILogger<UserCircuitLimit> logger)
    : CircuitHandler
{
    private Guid? _countedFor;

    /// <summary>False when this circuit's user already had their share of open circuits.</summary>
    public bool Admitted { get; private set; } = true;

    public override async Task OnCircuitOpenedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(circuit);
        if (AccessSubject.FromPrincipal((await authentication.GetAuthenticationStateAsync()).User) is not { } user)
        {
            return;
        }

        var limit = options.Value.MaxCircuitsPerUser;
        Admitted = registry.TryAdmit(user.UserId, circuit.Id, limit);
        if (Admitted)
        {
            _countedFor = user.UserId;
        }
        else
        {
            logger.LogWarning("User {UserId} opened more than {Limit} windows; circuit {CircuitId} shows the limit page", user.UserId, limit, circuit.Id);
        }
    }

    public override Task OnCircuitClosedAsync(Circuit circuit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(circuit);
        if (_countedFor is { } userId)
        {
            registry.Release(userId, circuit.Id);
            _countedFor = null;
        }

        return Task.CompletedTask;
    }
}
