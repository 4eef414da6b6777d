import {
  ActionIcon,
  Alert,
  Button,
  type ButtonProps,
  Code,
  CopyButton,
  Group,
  Modal,
  Stack,
  Text,
  Title,
  Tooltip,
} from '@mantine/core';
import { type ReactNode, useEffect, useRef } from 'react';
import { describeError } from '../api/client';

/** A page's heading. It takes focus when the page opens, so a screen reader announces where you are. */
export function PageTitle({ children, description }: { children: ReactNode; description?: ReactNode }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => ref.current?.focus(), []);
  return (
    <Stack gap={4} mb="md">
      <Title order={1} ref={ref} tabIndex={-1} size="h2" style={{ outline: 'none' }}>
        {children}
      </Title>
      {description && (
        <Text c="gray.7" size="sm">
          {description}
        </Text>
      )}
    </Stack>
  );
}

/** An API error, in words. */
export function ErrorNote({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  return (
    <Alert color="red" title={title ?? 'Something went wrong'} role="alert">
      {describeError(error)}
    </Alert>
  );
}

/** A value to copy (a URL, an ID, a secret) with its copy button. */
export function CopyField({ label, value }: { label: string; value: string }) {
  return (
    <Group gap="xs" wrap="nowrap" align="center">
      <Code style={{ wordBreak: 'break-all' }} aria-label={label}>
        {value}
      </Code>
      <CopyButton value={value}>
        {({ copied, copy }) => (
          <Tooltip label={copied ? 'Copied' : `Copy ${label}`} withArrow>
            <ActionIcon
              variant="subtle"
              color={copied ? 'teal' : 'gray'}
              onClick={copy}
              aria-label={copied ? `${label} copied` : `Copy ${label}`}
            >
              {copied ? <CheckIcon /> : <CopyIcon />}
            </ActionIcon>
          </Tooltip>
        )}
      </CopyButton>
    </Group>
  );
}

// Drawn, not a character: '⧉' is missing from common system fonts and showed as an empty box.
const CopyIcon = () => (
  <svg aria-hidden="true" width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2">
    <rect x="9" y="9" width="12" height="12" rx="2" />
    <path d="M5 15H4a1 1 0 0 1-1-1V4a1 1 0 0 1 1-1h10a1 1 0 0 1 1 1v1" />
  </svg>
);
const CheckIcon = () => (
  <svg aria-hidden="true" width="16" height="16" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2">
    <path d="M4 12l5 5L20 6" />
  </svg>
);

/** A secret or link shown once: the dialog says so, and offers the copy button. */
export function ShownOnceDialog({
  title,
  label,
  value,
  onClose,
  children,
}: {
  title: string;
  label: string;
  value: string | null;
  onClose(): void;
  children?: ReactNode;
}) {
  return (
    <Modal
      opened={value !== null}
      onClose={onClose}
      title={title}
      centered
      size="lg"
      closeButtonProps={{ 'aria-label': 'Close' }}
    >
      <Stack>
        <Alert color="yellow" title="Shown once">
          Copy it now: Sigil keeps only a hash and cannot show it again.
        </Alert>
        {value && <CopyField label={label} value={value} />}
        {children}
        <Group justify="flex-end">
          <Button onClick={onClose} data-autofocus>
            Done
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}

/** JSON for reading (audit before/after, raw rules). */
export function JsonBlock({ value, label }: { value: unknown; label: string }) {
  return (
    <Code block aria-label={label} style={{ maxHeight: 320, overflow: 'auto' }}>
      {value === undefined ? '—' : JSON.stringify(value, null, 2)}
    </Code>
  );
}

export const formatTime = (iso: string | null | undefined): string =>
  iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—';

/** The small red button of a destructive row action (remove, revoke, retire, delete). */
export function DangerButton(
  props: ButtonProps & { onClick?: () => void; 'aria-label'?: string; children: ReactNode },
) {
  return <Button size="xs" variant="subtle" color="red" {...props} />;
}
