namespace FileVault.Core;

/// <summary>
/// A failure the user can cause: a stable code (for ProblemDetails and localisation), a message for logs and the API,
/// and the values a localised text fills in (who holds a lock, say), when it has any.
/// </summary>
public sealed record Error(string Code, string Message, IReadOnlyList<string>? Args = null)
{
    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>The outcome of an operation that can fail for reasons the user controls.</summary>
public readonly record struct Result<T>
{
    private readonly T? _value;

    private Result(T? value, Error? error)
    {
        _value = value;
        Error = error;
    }

    public Error? Error { get; }

    public bool IsSuccess => Error is null;

    public T Value => IsSuccess ? _value! : throw new InvalidOperationException($"No value: {Error}");

    public static Result<T> Success(T value) => new(value, null);

    public static Result<T> Failure(string code, string message) => new(default, new Error(code, message));

    public static implicit operator Result<T>(T value) => Success(value);

    public static implicit operator Result<T>(Error error) => new(default, error);
}
