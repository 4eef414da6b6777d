import { PageTitle } from '../../components/common';

export default function TeamPage() {
  return <PageTitle>TeamPage</PageTitle>;
}
