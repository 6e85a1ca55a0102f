namespace FileVault.Web;

/// <summary>Marker type for the UI strings in Resources/SharedResource.{en,ko}.resx.</summary>
public sealed class SharedResource;
