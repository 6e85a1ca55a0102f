using FileVault.Core.Jobs;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Operations;

public static class OperationsServiceCollectionExtensions
{
    /// <summary>New folder, rename, batch rename, move, copy, delete to the trash and compress, with their job handlers.</summary>
    public static IServiceCollection AddOperations(this IServiceCollection services)
    {
        services.AddScoped<EntryOperations>();
        services.AddScoped<BatchRenameOperations>();
        services.AddScoped<FileOperations>();
        services.AddScoped<CompressOperations>();
        services.AddScoped<IJobHandler, MoveJobHandler>();
        services.AddScoped<IJobHandler, CopyJobHandler>();
        services.AddScoped<IJobHandler, CompressJobHandler>();
        services.AddScoped<IJobHandler, CreateFolderJobHandler>();
        services.AddScoped<IJobHandler, RenameJobHandler>();
        services.AddScoped<IJobHandler, BatchRenameJobHandler>();
        return services;
    }
}
