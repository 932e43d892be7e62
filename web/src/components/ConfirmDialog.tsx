import { Button, Group, Modal, Stack, Text } from '@mantine/core';
import { useCallback, useEffect, useRef, useState } from 'react';

/** What a risky action asks before it is taken. */
export interface ConfirmQuestion {
  title: string;
  /** The question in full: what happens once confirmed. */
  message: string;
  /** The confirm button, named after the action ("Revoke", "Remove"). */
  action: string;
}

/**
 * Asks before a risky action, in a dialog of the page instead of the browser's window.confirm:
 * `confirm(question)` resolves to true when the action's red button is pressed, and to false on
 * Cancel, Escape or a click outside. Focus starts on Cancel. Render `dialog` once in the component.
 */
export function useConfirm() {
  const [question, setQuestion] = useState<ConfirmQuestion | null>(null);
  const [opened, setOpened] = useState(false);
  const pending = useRef<((confirmed: boolean) => void) | null>(null);

  const answer = useCallback((confirmed: boolean) => {
    pending.current?.(confirmed);
    pending.current = null;
    setOpened(false);
  }, []);
  const confirm = useCallback((next: ConfirmQuestion) => {
    pending.current?.(false);
    setQuestion(next);
    setOpened(true);
    return new Promise<boolean>((resolve) => {
      pending.current = resolve;
    });
  }, []);
  // A page left while it asks has its answer: no.
  useEffect(() => () => pending.current?.(false), []);

  // The question stays while the dialog closes, so its text does not vanish during the transition.
  const dialog = (
    <Modal
      opened={opened}
      onClose={() => answer(false)}
      title={question?.title}
      withCloseButton={false}
      styles={{ title: { fontWeight: 600 } }}
    >
      <Stack>
        <Text size="sm">{question?.message}</Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={() => answer(false)} data-autofocus>
            Cancel
          </Button>
          <Button color="red" onClick={() => answer(true)}>
            {question?.action}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
  return { confirm, dialog };
}
