using System.Data.Common;
using System.Runtime.CompilerServices;
using FileVault.Core.Data;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Access;

/// <summary>
/// Bumps <see cref="AccessVersion"/> once a change to an account is committed: a user row changed or deleted (security
/// stamp, disabled flag, password, lock-out) or a role given or taken. Identity's <c>UserManager</c> saves such changes
/// from many places (sign-in, administration, tests); catching them at the context means none is missed, so answers
/// cached under the old account ("this token is still current", <c>TokenAccounts</c>) are dropped at once.
/// </summary>
/// <remarks>
/// Inside an explicit transaction the bump waits for the commit: bumping earlier would let a request read the old,
/// still committed row under the new version and keep that answer.
/// </remarks>
public sealed class AccountChangeAnnouncer(IServiceProvider services) : SaveChangesInterceptor, IDbTransactionInterceptor
{
    private readonly ConditionalWeakTable<DbContext, object> _pending = [];

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        Note(eventData.Context);
        return result;
    }

    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        Note(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
    {
        AnnounceUnlessInTransaction(eventData.Context);
        return result;
    }

    public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        AnnounceUnlessInTransaction(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Announce(eventData.Context);

    public Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Announce(eventData.Context);
        return Task.CompletedTask;
    }

    public void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => Forget(eventData.Context);

    public Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        Forget(eventData.Context);
        return Task.CompletedTask;
    }

    private void Note(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        var changed = context.ChangeTracker.Entries().Any(e =>
            (e.Entity is FileVaultUser && e.State is EntityState.Modified or EntityState.Deleted)
            || (e.Entity is IdentityUserRole<Guid> && e.State is EntityState.Added or EntityState.Deleted));
        if (changed)
        {
            _pending.AddOrUpdate(context, this);
        }
    }

    private void AnnounceUnlessInTransaction(DbContext? context)
    {
        if (context?.Database.CurrentTransaction is null)
        {
            Announce(context);
        }
    }

    /// <summary>
    /// Bumps this process's version at once (the first, synchronous step of <see cref="AccessVersion.BumpAsync"/>) and
    /// leaves the Redis message to the other instances to finish on its own, so a save never waits on a hung Redis.
    /// A host without the access services (the migrate command) has no cached answers to drop.
    /// </summary>
    private void Announce(DbContext? context)
    {
        if (context is not null && _pending.Remove(context) && services.GetService<AccessVersion>() is { } version)
        {
            _ = ObserveAsync(version.BumpAsync());
        }
    }

    private static async Task ObserveAsync(Task bump)
    {
        try
        {
            await bump;
        }
        catch (TimeoutException)
        {
            // Redis hung: the other instances' cached answers expire on their own (AccessVersion's remarks).
        }
    }

    private void Forget(DbContext? context)
    {
        if (context is not null)
        {
            _pending.Remove(context);
        }
    }
}
