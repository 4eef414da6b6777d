import { PageTitle } from '../../components/common';

export default function MessagesPage() {
  return <PageTitle>MessagesPage</PageTitle>;
}
