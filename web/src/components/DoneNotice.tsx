import { Alert } from '@mantine/core';
import { useState } from 'react';

/** "It is done" after a risky action, said where the action was taken, until dismissed or replaced. */
export function useDoneNotice() {
  const [message, setMessage] = useState<string | null>(null);
  const notice = message ? (
    <Alert color="teal" role="status" withCloseButton closeButtonLabel="Dismiss" onClose={() => setMessage(null)}>{message}</Alert>
  ) : null;
  return { notice, done: setMessage };
}
