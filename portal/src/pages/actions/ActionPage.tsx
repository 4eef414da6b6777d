import { PageTitle } from '../../components/common';

export default function ActionPage() {
  return <PageTitle>ActionPage</PageTitle>;
}
