/** What every settings form says back: a field's own error, and the form-level alert and status. */

export function FieldError({ id, error }: { id: string; error: string | undefined }) {
  return error ? (
    <small className="field__error" id={id}>
      {error}
    </small>
  ) : null;
}

/** The first field error as an alert (the field itself shows it too), a form error, a status line. */
export function FormFeedback({
  errors,
  formError,
  status,
}: {
  errors: Partial<Record<string, string>>;
  formError: string | null;
  status: string | null;
}) {
  return (
    <>
      {Object.keys(errors).length > 0 && (
        <p className="form-error" role="alert">
          Check the highlighted field: {Object.values(errors)[0]}
        </p>
      )}
      {formError && (
        <p className="form-error" role="alert">
          {formError}
        </p>
      )}
      {status && <p role="status">{status}</p>}
    </>
  );
}
